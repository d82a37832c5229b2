/** A job, endpoint or edge an apply changes, and the fields that change (dotted paths). */
export interface FieldChange {
  readonly id: string;
  readonly fields: string[];
}

/**
 * What an apply does to jobs or endpoints, against what is live: ids to create, to change (with
 * the fields), to archive, and how many it leaves as they are.
 */
export interface DiffSection {
  readonly create: string[];
  readonly change: FieldChange[];
  readonly archive: string[];
  readonly unchanged: number;
}

/** The same for edges, which are removed rather than archived. */
export interface EdgeDiffSection {
  readonly create: string[];
  readonly change: FieldChange[];
  readonly remove: string[];
  readonly unchanged: number;
}

/**
 * The diff of a document against what is live: per jobs, endpoints and edges (edge ids are
 * `<upstream>.<downstream>`). A change of a secret header's value shows as a change of
 * `request.headers.<name>.value`, never the value.
 */
export interface PipelineDiff {
  readonly jobs: DiffSection;
  readonly endpoints: DiffSection;
  readonly edges: EdgeDiffSection;
}

/** A section being filled. */
export class SectionBuilder {
  readonly create: string[] = [];
  readonly change: FieldChange[] = [];
  /** Archived, or removed (edges). */
  readonly archive: string[] = [];
  unchanged = 0;

  build(): DiffSection {
    const { create, change, archive, unchanged } = this;
    return { create, change, archive, unchanged };
  }

  buildEdges(): EdgeDiffSection {
    const { create, change, archive: remove, unchanged } = this;
    return { create, change, remove, unchanged };
  }
}

/** How many things of one kind a diff creates, changes and archives (or removes). */
export const diffCounts = (section: DiffSection | EdgeDiffSection) => ({
  create: section.create.length,
  change: section.change.length,
  archive: 'archive' in section ? section.archive.length : section.remove.length,
});

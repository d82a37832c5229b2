import type { EndpointConfigInput } from '../endpoint/config.js';
import type { DomainEvent } from '../events/event.js';
import type { DecideContext } from '../decider.js';
import {
  placesOf,
  type DocumentIssue,
  type EndpointPlace,
  type PipelineDocument,
} from './document.js';
import { SectionBuilder } from './diff.js';
import type { LiveState } from './live.js';

/** What {@link planPipeline} decides on. */
export interface PipelinePlanInput {
  readonly tenantId: string;
  readonly name: string;
  readonly document: PipelineDocument;
  /**
   * Each endpoint's config as it goes into the log, by endpoint id: the document's, without
   * `id` and `dependsOn`, secret header values sealed (a secret equal to the stored one keeps
   * the stored sealed value, so an unchanged document decides no change).
   */
  readonly configs: ReadonlyMap<string, EndpointConfigInput>;
  /** Identifies the document (recorded on PipelineApplied). */
  readonly digest: string;
  readonly live: LiveState;
}

/** An issue with its kind: a clash with what is live (409) or a document that cannot hold (422). */
export interface PlanIssue extends DocumentIssue {
  readonly code: 'validation' | 'conflict' | 'unprocessable';
  /** The endpoint ids along a cycle the document would close (`a → b → a`). */
  readonly cycle?: readonly string[];
}

/** Created and adopted ids of one kind (see PipelineAppliedData). */
export interface Ownership {
  readonly created: string[];
  readonly adopted: string[];
}

/** The decisions of one apply as they are made: events per stream, the diff, the issues. */
export class PlanOutput {
  readonly issues: PlanIssue[] = [];
  readonly jobs = new SectionBuilder();
  readonly endpoints = new SectionBuilder();
  readonly edges = new SectionBuilder();
  /** By stream, in the order streams were first written: jobs, endpoints, graph, pipeline. */
  readonly streams = new Map<string, { expectedVersion: number; events: DomainEvent[] }>();

  /** The document's endpoints, each with its job and path, in document order. */
  readonly places: readonly EndpointPlace[];
  /** The ids of the document's endpoints. */
  readonly declared: ReadonlySet<string>;

  constructor(
    readonly input: PipelinePlanInput,
    readonly ctx: DecideContext,
  ) {
    this.places = placesOf(input.document);
    this.declared = new Set(this.places.map((place) => place.endpoint.id));
  }

  get live(): LiveState {
    return this.input.live;
  }

  issue(code: PlanIssue['code'], field: string, message: string, cycle?: readonly string[]) {
    this.issues.push({ code, field, message, ...(cycle ? { cycle } : {}) });
  }

  /** Adds events to a stream, which the apply appends at `expectedVersion` (its first write's). */
  append(streamId: string, expectedVersion: number, events: readonly DomainEvent[]): void {
    if (events.length === 0) return;
    const stream = this.streams.get(streamId);
    if (stream) stream.events.push(...events);
    else this.streams.set(streamId, { expectedVersion, events: [...events] });
  }

  /** Events added so far, over every stream. */
  get eventCount(): number {
    let count = 0;
    for (const stream of this.streams.values()) count += stream.events.length;
    return count;
  }
}

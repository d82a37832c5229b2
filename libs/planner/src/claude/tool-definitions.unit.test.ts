import { describe, expect, it } from 'vitest';
import { TOOL_DEFINITIONS } from './tool-definitions.js';
import { TOOL_INPUTS } from './tool-inputs.js';

describe('tool definitions', () => {
  it('offer the model exactly the tools and fields that are enforced', () => {
    expect(TOOL_DEFINITIONS.map((t) => t.name).sort()).toEqual(Object.keys(TOOL_INPUTS).sort());
    for (const definition of TOOL_DEFINITIONS) {
      const schema = TOOL_INPUTS[definition.name as keyof typeof TOOL_INPUTS];
      const fields = Object.entries(schema.shape);
      // A field is required when the enforced schema refuses its absence.
      const required = fields.filter(([, f]) => !f.safeParse(undefined).success).map(([k]) => k);
      const properties = Object.keys(definition.input_schema.properties ?? {});
      expect({ tool: definition.name, properties: properties.sort() }).toEqual({
        tool: definition.name,
        properties: fields.map(([k]) => k).sort(),
      });
      expect({
        tool: definition.name,
        required: [...(definition.input_schema.required ?? [])].sort(),
      }).toEqual({
        tool: definition.name,
        required: required.sort(),
      });
    }
  });
});

export {
  createClaudeBackend,
  DEFAULT_CLAUDE_MODEL,
  type ClaudeBackendOptions,
} from './claude-backend.js';

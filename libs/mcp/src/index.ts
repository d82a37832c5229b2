export { createOrreryMcpServer, ORRERY_MCP_SERVER } from './server.js';
export { SIGNALS_DOC } from './resources.js';
export { planToken } from './tools/pipeline-tool.js';

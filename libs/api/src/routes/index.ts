import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { conflictRoutes } from './conflicts.js';
import { dependencyRoutes } from './dependencies.js';
import { endpointsRoutes } from './endpoints.js';
import { eventsRoutes } from './events.js';
import { explainRoutes } from './explain.js';
import { hintsRoutes } from './hints.js';
import { historyRoutes } from './history.js';
import { jobRoutes } from './jobs.js';
import { pipelineRoutes } from './pipelines.js';
import { plannerRoutes } from './planner.js';
import { runsRoutes } from './runs.js';
import { whatIfRoutes } from './what-if.js';

/** Every tenant-scoped /v1 route. */
export const v1Routes: FastifyPluginAsyncZod = async (app) => {
  await app.register(jobRoutes);
  await app.register(endpointsRoutes);
  await app.register(hintsRoutes);
  await app.register(runsRoutes);
  await app.register(eventsRoutes);
  await app.register(explainRoutes);
  await app.register(historyRoutes);
  await app.register(dependencyRoutes);
  await app.register(pipelineRoutes);
  await app.register(conflictRoutes);
  await app.register(plannerRoutes);
  await app.register(whatIfRoutes);
};

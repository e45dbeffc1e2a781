export {
  DEFAULT_FLEET_PREFIX,
  type Heartbeat,
  type HeartbeatOptions,
  type ReadFleetOptions,
  readFleet,
  startHeartbeat,
  type WriteBehindSource,
} from '../fleet/heartbeat.js';
export {
  type FleetCounters,
  type FleetLatency,
  type FleetTotals,
  type FleetView,
  type InstanceSnapshot,
  MAX_SNAPSHOT_NODES,
  type NodeHealth,
  type WriteBehindSummary,
} from '../fleet/snapshot.js';
export { type DashboardActionsOptions, MAX_ACTION_BODY, MIN_TOKEN_LENGTH } from './actions.js';
export {
  type DashboardCache,
  type DashboardHandler,
  type DashboardOptions,
  type DashboardSnapshot,
  dashboardHandler,
} from './handler.js';

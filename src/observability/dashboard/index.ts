export {
  DEFAULT_FLEET_PREFIX,
  type Heartbeat,
  type HeartbeatOptions,
  type ReadFleetOptions,
  readFleet,
  startHeartbeat,
} from '../fleet/heartbeat.js';
export type {
  FleetCounters,
  FleetLatency,
  FleetTotals,
  FleetView,
  InstanceSnapshot,
} from '../fleet/snapshot.js';
export {
  type DashboardHandler,
  type DashboardOptions,
  type DashboardSnapshot,
  dashboardHandler,
} from './handler.js';

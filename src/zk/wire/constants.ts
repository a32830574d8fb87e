// ZooKeeper client-protocol numbers: op codes, special xids, error codes, watch event types and
// keeper states, as the ZooKeeper 3.x clients (Java, C, node-zookeeper-client, kazoo) use them.

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;

/** Request/reply xids with a fixed meaning. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** KeeperException codes carried in ReplyHeader.err. */
export const Err = {
  ok: 0,
  systemError: -1,
  connectionLoss: -4,
  marshallingError: -5,
  unimplemented: -6,
  badArguments: -8,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  noChildrenForEphemerals: -108,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  invalidAcl: -114,
  authFailed: -115,
} as const;

/** WatcherEvent.type */
export const EventType = {
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
} as const;

/** WatcherEvent.state */
export const KeeperState = {
  disconnected: 0,
  syncConnected: 3,
  authFailed: 4,
  expired: -112,
} as const;

/** CreateRequest.flags (CreateMode) */
export const CreateFlags = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;

/** ZooKeeper's default jute.maxbuffer: the largest packet a server accepts (about 1 MiB). */
export const DEFAULT_MAX_PACKET = 1024 * 1024;

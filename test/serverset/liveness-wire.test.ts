// ServerSet liveness against the embedded store served over the ZooKeeper wire protocol.
import { wireBackend } from '../helpers/backends.js';
import { serversetLiveness } from './liveness.js';

serversetLiveness('embedded over the ZooKeeper wire', wireBackend);

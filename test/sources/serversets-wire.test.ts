// The ServerSet DNS source against the embedded store served over the ZooKeeper wire protocol.
import { wireBackend } from '../helpers/backends.js';
import { serversetSourceSuite } from './serversets.js';

serversetSourceSuite('embedded over the ZooKeeper wire', wireBackend);

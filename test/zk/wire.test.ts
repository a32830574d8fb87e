// The coordination contract against the embedded store served over the ZooKeeper wire protocol,
// with Beacon's real ZooKeeper client (ZkSession on node-zookeeper-client) on the other end.
import { wireBackend } from '../helpers/backends.js';
import { coordinationContract } from './contract.js';

coordinationContract('embedded store over the ZooKeeper wire', wireBackend);

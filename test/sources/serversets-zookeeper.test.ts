// The ServerSet DNS source against a real ZooKeeper 3.8 server.
import { zookeeperBackend } from '../helpers/backends.js';
import { serversetSourceSuite } from './serversets.js';

serversetSourceSuite('ZooKeeper', zookeeperBackend);

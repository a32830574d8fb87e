// ServerSet liveness against a real ZooKeeper 3.8 server started for this file.
import { zookeeperBackend } from '../helpers/backends.js';
import { serversetLiveness } from './liveness.js';

serversetLiveness('ZooKeeper', zookeeperBackend);

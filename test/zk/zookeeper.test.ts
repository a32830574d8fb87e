// The coordination contract against a real ZooKeeper 3.8 server started for this file.
import { zookeeperBackend } from '../helpers/backends.js';
import { coordinationContract } from './contract.js';

coordinationContract('ZooKeeper', zookeeperBackend);

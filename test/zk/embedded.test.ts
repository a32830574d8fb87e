// The coordination contract against the embedded in-process store.
import { embeddedBackend } from '../helpers/backends.js';
import { coordinationContract } from './contract.js';

coordinationContract('embedded store', embeddedBackend);

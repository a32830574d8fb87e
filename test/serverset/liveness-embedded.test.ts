// ServerSet liveness against the embedded store.
import { embeddedBackend } from '../helpers/backends.js';
import { serversetLiveness } from './liveness.js';

serversetLiveness('embedded store', embeddedBackend);

// `beacon/client`: the public entry of the Node client library (package exports).
export { BeaconClient, createClient } from './client.js';
export type { ClientOptions, BalancerKind } from './options.js';
export type { ClientMember } from './member.js';
export type { RetryBudgetOptions } from './retry-budget.js';
export type { FailureAccrualOptions } from './failure-accrual.js';
export { VIRTUAL_ORIGIN } from './dispatcher.js';
export { BeaconError, NoMembersError, TimeoutError, NameError, ConfigError } from '../errors.js';
export type { ServersetName } from '../serverset/names.js';

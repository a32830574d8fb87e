// The configs Mesos-DNS refuses and accepts, from its own tests (records/validation_test.go:
// TestValidateMasters, TestValidateResolvers, TestValidateDomain, TestValidateZoneResolvers with
// the domain "dc.mesos"), as config.json objects. Used by the parser test and the CLI test.

const IPS = ['8.8.8.8'];

/** A refused config: the settings, the key the one-line error must name, and a piece of the
 *  offending value it must quote. */
export interface Refused {
  why: string;
  config: Record<string, unknown>;
  key: string;
  value: string;
}

export const REFUSED: Refused[] = [
  // TestValidateMasters
  {
    why: 'master without a port',
    config: { masters: ['1.2.3.4'] },
    key: 'masters',
    value: '1.2.3.4',
  },
  {
    why: 'master "a" without a port',
    config: { masters: ['a', 'b'] },
    key: 'masters',
    value: '"a"',
  },
  { why: 'master port 0', config: { masters: ['a:0'] }, key: 'masters', value: 'a:0' },
  { why: 'master port 65536', config: { masters: ['a:65536'] }, key: 'masters', value: 'a:65536' },
  { why: 'empty master', config: { masters: [''] }, key: 'masters', value: '""' },
  {
    why: 'duplicate masters',
    config: { masters: ['1.2.3.4:1', '1.2.3.4:1'] },
    key: 'masters',
    value: '1.2.3.4:1',
  },
  {
    why: 'duplicate IPv6 masters in two spellings',
    config: {
      masters: ['[2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b]:1', '[2001:db8:3c4d:15::1a2f:1a2b]:1'],
    },
    key: 'masters',
    value: '[2001:db8:3c4d:15::1a2f:1a2b]:1',
  },
  // TestValidateResolvers
  { why: 'empty resolver', config: { resolvers: [''] }, key: 'resolvers', value: '""' },
  { why: 'resolver that is a name', config: { resolvers: ['a'] }, key: 'resolvers', value: '"a"' },
  {
    why: 'resolver 1.2.3.4.5',
    config: { resolvers: ['1.2.3.4.5'] },
    key: 'resolvers',
    value: '1.2.3.4.5',
  },
  {
    why: 'resolver port 65536',
    config: { resolvers: ['5.6.7.8:65536'] },
    key: 'resolvers',
    value: '5.6.7.8:65536',
  },
  {
    why: 'resolver port abc',
    config: { resolvers: ['5.6.7.8:abc'] },
    key: 'resolvers',
    value: '5.6.7.8:abc',
  },
  {
    why: 'duplicate resolvers',
    config: { resolvers: ['1.2.3.4', '1.2.3.4'] },
    key: 'resolvers',
    value: '1.2.3.4',
  },
  {
    why: 'duplicate IPv6 resolvers in two spellings',
    config: {
      resolvers: ['2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b', '2001:db8:3c4d:15::1a2f:1a2b'],
    },
    key: 'resolvers',
    value: '2001:db8:3c4d:15::1a2f:1a2b',
  },
  // TestValidateDomain
  { why: 'empty domain', config: { domain: '' }, key: 'domain', value: '""' },
  {
    why: 'domain with a leading dot',
    config: { domain: '.invalid.com' },
    key: 'domain',
    value: '.invalid.com',
  },
  {
    why: 'domain with a trailing dot',
    config: { domain: 'invalid.com.' },
    key: 'domain',
    value: 'invalid.com.',
  },
  {
    why: 'domain with an underscore',
    config: { domain: 'dc_1.mesos' },
    key: 'domain',
    value: 'dc_1.mesos',
  },
  {
    why: 'domain with an empty label',
    config: { domain: 'dc..mesos' },
    key: 'domain',
    value: 'dc..mesos',
  },
  // validateEnabledServices (config.go SetConfig)
  {
    why: 'neither DNS nor HTTP on',
    config: { dnson: false, httpon: false },
    key: 'dnson',
    value: 'false',
  },
  // TestValidateZoneResolvers (domain dc.mesos)
  {
    why: 'empty zone name',
    config: { domain: 'dc.mesos', zoneResolvers: { '': IPS } },
    key: 'zoneResolvers',
    value: '""',
  },
  {
    why: 'empty resolver list',
    config: { domain: 'dc.mesos', zoneResolvers: { weave: [] } },
    key: 'zoneResolvers',
    value: 'weave',
  },
  {
    why: 'a zone that holds the served domain',
    config: { domain: 'dc.mesos', zoneResolvers: { mesos: IPS } },
    key: 'zoneResolvers',
    value: 'mesos',
  },
  {
    why: 'the served domain itself',
    config: { domain: 'dc.mesos', zoneResolvers: { 'dc.mesos': IPS } },
    key: 'zoneResolvers',
    value: 'dc.mesos',
  },
  {
    why: 'a zone inside the served domain',
    config: { domain: 'dc.mesos', zoneResolvers: { 'site.dc.mesos': IPS } },
    key: 'zoneResolvers',
    value: 'site.dc.mesos',
  },
  {
    why: 'one zone inside another',
    config: { domain: 'dc.mesos', zoneResolvers: { 'abc.com': IPS, com: IPS } },
    key: 'zoneResolvers',
    value: 'abc.com',
  },
  {
    why: 'a zone with a trailing dot',
    config: { zoneResolvers: { 'corp.example.': IPS } },
    key: 'zoneResolvers',
    value: 'corp.example.',
  },
  {
    why: 'a malformed resolver in a zone',
    config: { zoneResolvers: { weave: ['not-an-ip'] } },
    key: 'zoneResolvers',
    value: 'not-an-ip',
  },
  {
    why: 'a duplicate resolver in a zone',
    config: { zoneResolvers: { weave: ['10.0.0.2', '10.0.0.2:53'] } },
    key: 'zoneResolvers',
    value: '10.0.0.2:53',
  },
  {
    why: 'a resolver list that is not a list',
    config: { zoneResolvers: { weave: '10.0.0.2' } },
    key: 'zoneResolvers',
    value: '10.0.0.2',
  },
];

/** Configs Mesos-DNS accepts (the `true` rows of the same tests): Beacon must accept them too. */
export const ACCEPTED: { why: string; config: Record<string, unknown> }[] = [
  { why: 'no masters', config: { masters: [] } },
  { why: 'host:port masters', config: { masters: ['example.com:1234', 'localhost:1234'] } },
  { why: 'master port 65535', config: { masters: ['a:65535'] } },
  { why: 'hostnames are not validated', config: { masters: ['1.2.3.4.5:6'] } },
  { why: 'distinct masters', config: { masters: ['1.2.3.4:1', '5.6.7.8:1'] } },
  { why: 'bracketed IPv6 master', config: { masters: ['[2001:db8:3c4d:15::1a2f:1a2b]:1'] } },
  { why: 'Beacon: a master with a scheme', config: { masters: ['https://m1:5050'] } },
  { why: 'no resolvers', config: { resolvers: [] } },
  {
    why: 'resolver with a port',
    config: { resolvers: ['1.2.3.4', '5.6.7.8:1234', '5.6.7.8:65535'] },
  },
  {
    why: 'one IPv6 resolver on two ports',
    config: {
      resolvers: ['2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b', '[2001:db8:3c4d:15::1a2f:1a2b]:55'],
    },
  },
  {
    why: 'duplicate resolvers with externalon false (Mesos-DNS validates them only when forwarding)',
    config: { externalon: false, resolvers: ['1.2.3.4', '1.2.3.4'] },
  },
  { why: 'domain 1-awesome.domain.e', config: { domain: '1-awesome.domain.e' } },
  { why: 'single-label domain', config: { domain: 'single-name' } },
  { why: 'no zoneResolvers', config: { domain: 'dc.mesos', zoneResolvers: {} } },
  {
    why: 'a zone beside the domain',
    config: { domain: 'dc.mesos', zoneResolvers: { weave: IPS } },
  },
  {
    why: 'acdc.mesos is not inside dc.mesos',
    config: { domain: 'dc.mesos', zoneResolvers: { 'acdc.mesos': IPS } },
  },
  {
    why: 'bc.com and abc.com do not nest',
    config: { domain: 'dc.mesos', zoneResolvers: { 'abc.com': IPS, 'bc.com': IPS } },
  },
];

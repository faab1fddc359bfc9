import ipaddr from 'ipaddr.js';

/**
 * The unit per-address limits count in: an IPv4 address itself (IPv4-mapped IPv6 included), an
 * IPv6 address's /64. One IPv6 client is usually handed a whole /64, so counting single IPv6
 * addresses would give it 2^64 fresh counters. Anything that does not parse is kept as it is.
 */
export function addressGroup(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}

// The dashboard's decisions that need no server: which binds are loopback, the --listen
// syntax, when a token is needed and how it is compared.
import { describe, expect, it } from 'vitest';
import { isLoopback, parseListen, tokenFor, tokenMatches } from '../../controller/dashboard.js';

describe('dashboard bind and token', () => {
  it('treats only loopback addresses (and the name localhost) as loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', 'my-host', '::ffff:10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('reads host:port and [v6]:port, refuses anything else in one line', () => {
    expect(parseListen('127.0.0.1:8090')).toEqual({ host: '127.0.0.1', port: 8090 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    for (const bad of ['8090', '127.0.0.1', '127.0.0.1:70000', '::1:8090', 'host:port']) expect(() => parseListen(bad), bad).toThrow(/invalid --listen/);
  });

  it('needs a token off loopback or with --require-token, from the named variable', () => {
    const token = 'x'.repeat(20);
    expect(tokenFor(parseListen('127.0.0.1:1'), {}, {})).toBeUndefined();
    expect(() => tokenFor(parseListen('0.0.0.0:1'), {}, {})).toThrow(/not loopback.*SMTP_FLEET_DASHBOARD_TOKEN/);
    expect(() => tokenFor(parseListen('127.0.0.1:1'), { requireToken: true }, { SMTP_FLEET_DASHBOARD_TOKEN: 'short' })).toThrow(/at least 16/);
    expect(tokenFor(parseListen('0.0.0.0:1'), { tokenEnv: 'MY_TOKEN' }, { MY_TOKEN: token })).toBe(token);
    expect(() => tokenFor(parseListen('127.0.0.1:1'), { tokenEnv: 'no-such name' }, {})).toThrow(/invalid --token-env/);
  });

  it('compares tokens whatever their length', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});

/**
 * `routeContexts`: the adapters' verify context per route template, made once per template and
 * bounded, so a cache hit allocates none and a flood of templates cannot grow memory.
 */
import { routeContexts } from '../../src/verifier/sync-path';

describe('routeContexts', () => {
  it('answers the same context for a template each time, with the base and the route', () => {
    const getToken = () => undefined;
    const contextOf = routeContexts({ getToken });
    const first = contextOf('/api/messages/:id');
    expect(first).toEqual({ getToken, route: '/api/messages/:id' });
    expect(contextOf('/api/messages/:id')).toBe(first);
    expect(contextOf('/api/other')).toEqual({ getToken, route: '/api/other' });
  });

  it('answers the base itself for a request without a template', () => {
    const base = { getToken: () => undefined };
    expect(routeContexts(base)(undefined)).toBe(base);
    expect(routeContexts(undefined)(undefined)).toBeUndefined();
  });

  it('keeps 1,000 templates; past them each context is made anew, and still right', () => {
    const contextOf = routeContexts(undefined);
    for (let i = 0; i < 1000; i++) contextOf(`/t/${i}`);
    expect(contextOf('/t/999')).toBe(contextOf('/t/999'));
    const late = contextOf('/t/1000');
    expect(late).toEqual({ route: '/t/1000' });
    expect(contextOf('/t/1000')).not.toBe(late);
    expect(contextOf('/t/1000')).toEqual({ route: '/t/1000' });
  });
});

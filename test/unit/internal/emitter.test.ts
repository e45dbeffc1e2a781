import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/internal/emitter.js';

describe('Emitter', () => {
  it("never throws on 'error' without listeners, nor when a listener throws", () => {
    const hub = new Emitter<{ error: [unknown]; pair: [a: number, b: string] }>();
    expect(() => hub.emit('error', new Error('x'))).not.toThrow();
    const got: unknown[] = [];
    hub.on('error', () => {
      throw new Error('listener bug');
    });
    const off = hub.on('error', (e) => got.push(e));
    expect(() => hub.emit('error', 1)).not.toThrow();
    off();
    hub.emit('error', 2);
    expect(got).toEqual([1]);
    const pairs: Array<[number, string]> = [];
    hub.on('pair', (a, b) => pairs.push([a, b]));
    hub.emit('pair', 1, 'x');
    expect(pairs).toEqual([[1, 'x']]);
  });

  it('reports whether an event has listeners', () => {
    const hub = new Emitter<{ hit: [string] }>();
    expect(hub.listening.hit).toBeUndefined();
    const off = hub.on('hit', () => {});
    expect(hub.listening.hit).toBe(true);
    off();
    expect(hub.listening.hit).toBe(false);
    hub.on('hit', () => {});
    hub.removeAll();
    expect(hub.listening.hit).toBe(false);
  });
});

import { ackPacket, readEvent } from '../src/event-fast-path';
import { eventPacket } from '../src/fast-frames';
import { withPlayerId } from '../src/server';

// Socket.IO v4 packets as Engine.IO hands them over (its `4` message type already stripped): type
// `2` event or `3` ack, then `/nsp,` unless the namespace is `/`, then the ack id, then the JSON
// arguments. The game tests drive the same path with the real socket.io-client.
describe('readEvent', () => {
  const stroke = { points: [[0.1, 0.2]], color: '#123456', size: 3, tool: 'pen' };
  const json = JSON.stringify(stroke);

  it('reads an acked event for the default namespace', () => {
    expect(readEvent(`20["draw:stroke",${json}]`, '["draw:')).toEqual({
      name: 'draw:stroke',
      payload: stroke,
      ackId: 0,
    });
    expect(readEvent('2907["draw:undo"]', '["draw:')).toEqual({
      name: 'draw:undo',
      payload: undefined,
      ackId: 907,
    });
  });

  it('reads an event sent without an ack, so that it keeps its place among the acked ones', () => {
    expect(readEvent(`2["draw:stroke",${json}]`, '["draw:')).toEqual({
      name: 'draw:stroke',
      payload: stroke,
      ackId: -1,
    });
  });

  it("leaves everything else to Socket.IO's decoder", () => {
    const other = [
      `2/admin,3["draw:stroke",${json}]`, // another namespace
      '24["chat:send",{"text":"hi"}]', // another prefix
      `25["draw:stroke",${json},"extra"]`, // more than one argument
      `2${'9'.repeat(16)}["draw:stroke",{}]`, // an ack id longer than any counter
      '27["draw:stroke",{"points":', // JSON cut short
      '27["draw:stroke"', // not an array
      '27["draw:\\u0000",1]x', // trailing garbage
      '37["draw:stroke",{}]', // an ack, not an event
      `51-["draw:stroke",{"_placeholder":true,"num":0}]`, // binary event
      '', // nothing
    ];
    for (const data of other) expect(readEvent(data, '["draw:')).toBeNull();
  });
});

describe('ackPacket', () => {
  it('encodes an ack for the default namespace', () => {
    const res = { ok: false, error: { code: 'RATE_LIMITED', message: 'slow "down"' } };
    expect(ackPacket(12, res)).toBe(
      '312[{"ok":false,"error":{"code":"RATE_LIMITED","message":"slow \\"down\\""}}]',
    );
  });
});

describe('the relayed payload', () => {
  it("is the validated payload's JSON with the drawer's id added, as encoding both together gives", () => {
    const inputs = [
      {},
      { points: [[0.1, 0.2]], color: '#123456', size: 3, tool: 'pen' },
      { x: 0.5, y: 1, color: '#ABCDEF' },
    ];
    for (const input of inputs)
      for (const playerId of ['p1', 'quote"and\\slash', '한글 😀'])
        expect(withPlayerId(JSON.stringify(input), playerId)).toBe(JSON.stringify({ ...input, playerId }));
    expect(eventPacket('draw:fill', '{"x":0}')).toBe(`2${JSON.stringify(['draw:fill', { x: 0 }])}`);
  });
});

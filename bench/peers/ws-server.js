// SPDX-License-Identifier: MIT
// Peer: Node's `ws` (the common choice for WebSocket servers on Node).
'use strict';
const { WebSocketServer } = require('ws');
const { LOGIN_OK, NOTICE, port, classify } = require('./common');

const wss = new WebSocketServer({ host: '127.0.0.1', port: port(), backlog: 4096,
  perMessageDeflate: false, clientTracking: true });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    switch (classify(text)) {
      case 'login': ws.send(LOGIN_OK); break;
      case 'broadcast': for (const c of wss.clients) c.send(NOTICE); break;
      default: ws.send(text);
    }
  });
});
wss.on('listening', () => console.log('listening'));

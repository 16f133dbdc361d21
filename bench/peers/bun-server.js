// SPDX-License-Identifier: MIT
// Peer: Bun's built-in server (uWebSockets). Run with bench/peers/node_modules/.bin/bun.
const { LOGIN_OK, NOTICE, port, classify } = require('./common');

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: port(),
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0, // held idle connections must stay, as in Warden
    open(ws) { ws.subscribe('all'); },
    message(ws, message) {
      if (typeof message !== 'string') return;
      switch (classify(message)) {
        case 'login': ws.send(LOGIN_OK); break;
        case 'broadcast': server.publish('all', NOTICE); break;
        default: ws.send(message);
      }
    },
  },
});
console.log('listening');

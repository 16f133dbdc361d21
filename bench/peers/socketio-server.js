// SPDX-License-Identifier: MIT
// Peer: socket.io 4 on the websocket transport only (what Warden's /socket.io/ endpoint offers).
'use strict';
const http = require('http');
const { Server } = require('socket.io');
const { port } = require('./common');

const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false,
  serveClient: false });
io.on('connection', (socket) => {
  socket.on('loginCheck', () => {
    socket.emit('message', { code: 200, message: 'success', user: 'u', session_id: 's',
      expires_in: 3600, idle_timeout: 900 });
  });
  socket.on('broadcast', () => io.emit('notice', { text: 'bench' }));
  socket.on('activity', (data) => socket.emit('activity', data));
  socket.on('ping', (data) => socket.emit('pong', data));
});
httpServer.listen({ host: '127.0.0.1', port: port(), backlog: 4096 }, () => console.log('listening'));

// SPDX-License-Identifier: MIT
// What every peer answers, so the work compares with Warden's: a fixed login answer for the
// loginCheck frame (Warden verifies a JWT; the peers do not), an echo of everything else, and a
// broadcast on request (Warden's comes from its admin API).
'use strict';

const LOGIN_OK = '42["message",{"code":200,"message":"success","user":"u","session_id":"s",'
  + '"expires_in":3600,"idle_timeout":900}]';
const NOTICE = '42["notice",{"text":"bench"}]';

function port() {
  const p = Number(process.argv[2]);
  if (!Number.isInteger(p) || p < 1 || p > 65535) {
    console.error('usage: <server>.js PORT');
    process.exit(2);
  }
  return p;
}

// 'login' | 'broadcast' | 'echo' for a text frame of the raw protocol.
function classify(text) {
  if (text.startsWith('["loginCheck"') || text.startsWith('42["loginCheck"')) return 'login';
  if (text.startsWith('["broadcast"') || text.startsWith('42["broadcast"')) return 'broadcast';
  return 'echo';
}

module.exports = { LOGIN_OK, NOTICE, port, classify };

/** `@patchbay/realtime-server/socketio`: the hub's Socket.IO endpoint (needs the `socket.io` peer). */
export type { AttachSocketIOOptions, SocketIOEndpoint } from '../socketio/attachSocketIO.js';
export { attachSocketIO, DEFAULT_SOCKETIO_PATH, socketIORoom } from '../socketio/attachSocketIO.js';

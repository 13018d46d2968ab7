// The handlers a reader hangs on a socket it reads for a while and then hands on (to TLS, or
// back): one place that knows 'end' and 'close' both end the reading, and that takes off
// exactly what it put on.
import type { Socket } from 'node:net';

export interface ReadHandlers {
  data: (chunk: Buffer) => void;
  /** The peer ended or the socket closed, whichever comes first. */
  end: () => void;
  error: (err: Error) => void;
}

/** Attaches the handlers; the function returned detaches them again. */
export function listenTo(socket: Socket, h: ReadHandlers): () => void {
  socket.on('data', h.data);
  socket.on('end', h.end);
  socket.on('close', h.end);
  socket.on('error', h.error);
  return () => {
    socket.off('data', h.data);
    socket.off('end', h.end);
    socket.off('close', h.end);
    socket.off('error', h.error);
  };
}

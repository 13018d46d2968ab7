// An SNTP server of our own on loopback for the clock collector's tests: answers every
// request with its own idea of the time, shifted by `shiftMs`, so a known offset is measured.
import { createSocket, type Socket } from 'node:dgram';
import { writeTimestamp } from '../payload/diagnose/sntp.js';

export interface LabSntp {
  address: string;
  port: number;
  spec: string;
  close(): Promise<void>;
}

export function startSntp(shiftMs: number, address = '127.0.0.1'): Promise<LabSntp> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      if (msg.length < 48) return;
      const received = Date.now() + shiftMs;
      const reply = Buffer.alloc(48);
      reply[0] = (0 << 6) | (4 << 3) | 4; // no leap warning, version 4, mode 4 (server)
      reply[1] = 2; // stratum
      reply.write('LAB\0', 12, 'latin1');
      msg.copy(reply, 24, 40, 48); // originate = the client's transmit time
      writeTimestamp(reply, 32, received);
      writeTimestamp(reply, 40, Date.now() + shiftMs);
      sock.send(reply, rinfo.port, rinfo.address);
    });
    sock.once('error', reject);
    sock.bind(0, address, () => {
      const port = sock.address().port;
      resolve({ address, port, spec: `${address}:${port}`, close: () => new Promise((r) => sock.close(() => r())) });
    });
  });
}

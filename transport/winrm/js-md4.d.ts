// js-md4 ships no types; we use only its ArrayBuffer digest.
declare module 'js-md4' {
  interface Md4 {
    arrayBuffer(message: ArrayBuffer | Uint8Array | string): ArrayBuffer;
    hex(message: ArrayBuffer | Uint8Array | string): string;
  }
  const md4: Md4;
  export default md4;
}

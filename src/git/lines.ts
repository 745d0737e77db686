import { StringDecoder } from "node:string_decoder";

// A line end as node's readline sees one: \n, \r\n, or a \r not followed by \n.
const LINE_END = /\r?\n|\r(?!\n)/g;

/**
 * Splits a byte stream into lines exactly as node's readline does with `crlfDelay: Infinity`
 * (UTF-8 decoding with U+FFFD for invalid sequences, \n, \r\n and a lone \r end a line, a \r\n
 * split across chunks is one line end, a last line without an end still counts, incomplete
 * trailing UTF-8 bytes are dropped), without readline's per-line events: a chunk's lines come
 * back as one array. test/git-diff.test.ts checks it against readline on random chunkings.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private rest = "";
  private sawReturn = false;

  /** Add a chunk; the lines it completes are pushed onto `out`. */
  push(chunk: Buffer, out: string[]): void {
    let s = this.decoder.write(chunk);
    if (this.sawReturn && s.charCodeAt(0) === 10) s = s.slice(1);
    this.sawReturn = false;
    LINE_END.lastIndex = 0;
    let m = LINE_END.exec(s);
    if (m === null) {
      this.rest += s;
      return;
    }
    if (this.rest) {
      s = this.rest + s;
      LINE_END.lastIndex = 0;
      m = LINE_END.exec(s)!;
    }
    this.sawReturn = s.endsWith("\r");
    let start = 0;
    while (m !== null) {
      out.push(s.slice(start, m.index));
      start = LINE_END.lastIndex;
      m = LINE_END.exec(s);
    }
    this.rest = s.slice(start);
  }

  /** The stream ended: its last line, if it had no line end, is pushed onto `out`. */
  end(out: string[]): void {
    if (this.rest.length > 0) out.push(this.rest);
    this.rest = "";
  }
}

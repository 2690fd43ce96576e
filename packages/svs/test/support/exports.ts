export { merchant, platform, wallet, stateToJson, toHex } from "../../src/index.js";
export { utf8 as utf8Bytes } from "../../src/bytes.js";

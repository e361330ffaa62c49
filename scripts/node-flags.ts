// V8 / Node flags every service process starts with (scripts/start.ts, the benches).
export const NODE_FLAGS: string[] = [];

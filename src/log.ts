// Debug namespaces. Enable with DEBUG=ftps:* (or one of them). A leaf module: callers pass
// already-redacted command lines (PASS is never logged: see session/control.ts).
import createDebug from 'debug';

export const logControl = createDebug('ftps:control');
export const logData = createDebug('ftps:data');
export const logTls = createDebug('ftps:tls');

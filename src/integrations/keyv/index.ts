export { type CreateKeyvOptions, createKeyv } from './create-keyv.js';
export { KeyvStratacache, type KeyvStratacacheOptions } from './keyv-stratacache.js';

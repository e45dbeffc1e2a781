export { KeyvStratacache, type KeyvStratacacheOptions } from './keyv-stratacache.js';

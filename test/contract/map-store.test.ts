import { afterAll, beforeAll, describe, it } from 'vitest';
import { MapStore } from '../../src/testing/map-store.js';
import { storeContract } from '../../src/testing/store-contract.js';

storeContract('MapStore', { create: async () => new MapStore() }, { describe, it, beforeAll, afterAll });

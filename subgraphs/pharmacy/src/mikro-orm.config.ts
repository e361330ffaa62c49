import { Category } from './modules/catalogue/category.entity.js';
import { Item } from './modules/catalogue/item.entity.js';
import { Pharmacy } from './modules/pharmacy/pharmacy.entity.js';
import { PharmacyBranch } from './modules/pharmacy/branch.entity.js';
import { StockEntry } from './modules/stock/stock.entity.js';
import { Delivery, Order } from './modules/order/order.entity.js';
import { Reservation } from './modules/reservation/reservation.entity.js';
import { OutboxMessage } from '@hc/jobs';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of pharmacy_service, shared by the server and the migration CLI. */
export const entities = [Category, Item, Pharmacy, PharmacyBranch, StockEntry, Order, Delivery, Reservation, OutboxMessage];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;

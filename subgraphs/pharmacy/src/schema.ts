import { buildSubgraph } from '@hc/graphql';
import { CategoryResolver } from './modules/catalogue/category.resolver.js';
import { ItemResolver } from './modules/catalogue/item.resolver.js';
import { itemReference } from './modules/catalogue/item.reference.js';
import { BranchResolver, PharmacyResolver, UserPharmacyResolver } from './modules/pharmacy/pharmacy.resolver.js';
import { pharmacyReferences } from './modules/pharmacy/pharmacy.reference.js';
import { BranchStockResolver, OfferResolver, StockResolver } from './modules/stock/stock.resolver.js';
import { DeliveryResolver, OrderItemResolver, OrderResolver } from './modules/order/order.resolver.js';
import { orderReference } from './modules/order/order.reference.js';
import { ReservationResolver } from './modules/reservation/reservation.resolver.js';
import { SearchResolver } from './modules/search/search.resolver.js';
import { UserOrdersResolver } from './modules/user/user.resolver.js';
import { userReference } from './modules/user/user.reference.js';
import {
  DispenseResolver,
  PrescriptionBalanceResolver,
  PrescriptionFulfilmentResolver,
} from './modules/prescription/prescription.resolver.js';
import { prescriptionReference } from './modules/prescription/prescription.reference.js';

export const buildPharmacySchema = () =>
  buildSubgraph({
    resolvers: [
      CategoryResolver,
      ItemResolver,
      PharmacyResolver,
      BranchResolver,
      UserPharmacyResolver,
      StockResolver,
      BranchStockResolver,
      OfferResolver,
      OrderResolver,
      OrderItemResolver,
      DeliveryResolver,
      ReservationResolver,
      SearchResolver,
      UserOrdersResolver,
      PrescriptionFulfilmentResolver,
      PrescriptionBalanceResolver,
      DispenseResolver,
    ],
    referenceResolvers: {
      ...userReference,
      ...pharmacyReferences,
      ...itemReference,
      ...orderReference,
      ...prescriptionReference,
    },
  });

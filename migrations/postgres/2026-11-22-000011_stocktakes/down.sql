DROP TABLE stocktake_items;
DROP TABLE stocktakes;

DROP TABLE rewards_sanctions;

CREATE TABLE `replica_identity` (
	`id` integer PRIMARY KEY NOT NULL,
	`server_id` integer NOT NULL,
	`cluster_id` text NOT NULL
);

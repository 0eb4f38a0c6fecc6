CREATE TABLE `snapshot_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`idx` integer NOT NULL,
	`term` integer NOT NULL,
	`membership` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `cluster_members` (
	`id` integer PRIMARY KEY NOT NULL,
	`address` text NOT NULL,
	`role` text NOT NULL
);

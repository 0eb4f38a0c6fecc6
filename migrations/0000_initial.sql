CREATE TABLE `hard_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`term` integer NOT NULL,
	`vote` integer NOT NULL,
	`commit_index` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `log_entries` (
	`idx` integer PRIMARY KEY NOT NULL,
	`term` integer NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`checksum` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `accounts` (
	`username` text PRIMARY KEY NOT NULL,
	`password_hash` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`created_index` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `applied_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`applied_index` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `client_results` (
	`client_id` text NOT NULL,
	`seq` integer NOT NULL,
	`result` text NOT NULL,
	`at_ms` integer NOT NULL,
	PRIMARY KEY(`client_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `client_results_by_time` ON `client_results` (`at_ms`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY NOT NULL,
	`sender` text NOT NULL,
	`recipient` text NOT NULL,
	`text` text NOT NULL,
	`sent_at_ms` integer NOT NULL,
	`read` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `messages_by_recipient` ON `messages` (`recipient`,`read`,`id`);--> statement-breakpoint
CREATE INDEX `messages_by_sender` ON `messages` (`sender`,`id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_by_username` ON `sessions` (`username`);
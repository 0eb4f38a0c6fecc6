CREATE TABLE `client_windows` (
	`client_id` text PRIMARY KEY NOT NULL,
	`forgotten_through_seq` integer NOT NULL
);
--> statement-breakpoint
-- Written by hand: a client's window was kept by distance from its newest seq, refusing every seq at or below newest - 256 (clientResultWindowMax) as too old. Record that as what it forgot, so the upgrade refuses no less than before.
INSERT INTO `client_windows` (`client_id`, `forgotten_through_seq`) SELECT `client_id`, MAX(`seq`) - 256 FROM `client_results` GROUP BY `client_id` HAVING MAX(`seq`) > 256;

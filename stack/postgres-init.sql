-- docker-compose: the databases `npm run stack:up` creates on a local server.
CREATE DATABASE vigil_registry;
CREATE DATABASE vigil_test;

-- One database per subgraph (each subgraph also creates its own if missing).
CREATE DATABASE auth_service;
CREATE DATABASE doctor_service;
CREATE DATABASE notification_service;
CREATE DATABASE pharmacy_service;

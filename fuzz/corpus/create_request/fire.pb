
	seed-fire
centre	agent-007R楼下着火了，浓烟很大Z	320102001r

	seed-full
centre	agent-007"12345(0:urban_rural_construction@J物业乱收费R3小区物业每月多收停车费，要求退还。Z	320102001b玄武区中山路1号j.
	王女士1380013800011010519491231002X 
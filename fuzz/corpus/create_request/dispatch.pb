
	seed-lamp
centre	agent-007J小区门口路灯损坏RW玄武区新街口街道某小区门口三盏路灯已经坏了两周，晚上很黑。Z	320102001r

urban-managementxuanwu�测试
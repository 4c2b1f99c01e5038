
seed-sue
centre	agent-007R我要起诉开发商Z	320102001r*请向人民法院起诉
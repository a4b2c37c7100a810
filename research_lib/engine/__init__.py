"""Engine: returns on each listing's sessions, stacked event windows and attrition."""

"""course/content"""
